"""``bertui serve``: the app in a browser through textual-serve, behind a secret token.

``entry`` is the command, ``server`` runs one process group per tab, ``access`` checks the token. It
starts the app as a command line; it never imports the engine (nor torch) itself.
"""
