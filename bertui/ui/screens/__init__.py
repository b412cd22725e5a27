"""Modal screens: help, model switch, model card."""
