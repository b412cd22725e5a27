"""The model's process and its request loop: no Textual here, and torch only inside the process.

``loop`` answers the latest request (the app's thread backend runs it too), ``process`` is the child
process the app starts per model, ``lifeline`` ends that process with its parent. May import
``bertui.engine`` (lazily: the loop imports the engine only when it loads a model) and ``bertui.errors``.
"""
