"""The main screen, the app's one screen: the panes, the keys that edit the text, and the model's answers.

One class, ``MainScreen``, in three parts, each a module of its own:

- ``screen.py``: the layout and its handlers: edits become requests (``bertui.ui.request``), answers the
  ledger says belong to the text on screen go to the panes' reactives;
- ``model.py``: the model's lifecycle on screen (load, ready, failed, crashed, restart), its bookkeeping
  in ``bertui.ui.model_state.ModelState``;
- ``commands.py``: the ``action_…`` methods the keys, the palette and help run (declared once, in
  ``bertui.ui.actions``): dialogs, copy, export, masking a token from the grid.

A package rather than ``screens/commands.py`` beside the dialogs: the actions and the lifecycle are parts
of this screen, not screens, and they read its state. Imports Textual and the rest of ``bertui.ui``; never
torch.
"""

from bertui.ui.screens.main.screen import MainScreen

__all__ = ["MainScreen"]
