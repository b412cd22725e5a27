"""The app's screens: the main screen, and the dialogs over it (``dialogs``)."""
