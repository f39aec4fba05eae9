"""API: devices, transitions, labels. (Being written.)"""
