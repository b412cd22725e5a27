"""Modal dialogs over the main screen: help, export, model card, model switch, token jump."""
