"""bertui: explore BERT-family models live in the terminal."""

__version__ = "0.1.0"
