"""API: stock and transfers. (Being written.)"""
