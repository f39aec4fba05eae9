"""Stock per site, minimum levels, transfers. (Being written.)"""
