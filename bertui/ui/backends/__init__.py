"""How the app talks to a model: the protocol, the real backend (a child process) and a thread backend
for tests and benchmarks. No torch here: the thread backend imports the engine only in its thread."""
