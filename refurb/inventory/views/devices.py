"""Device pages: /d/<tag>, creation (single, batch), list, labels. (Being written.)"""
