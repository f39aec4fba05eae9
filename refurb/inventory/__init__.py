"""Inventory: devices, asset tags, the lifecycle state machine, stock per site, transfers, labels."""
