"""An Ollama-API-compatible test server: a real local model (SmolLM2-135M on llama-cpp-python) or
scripted replies (server.py), started as a subprocess (launch.py) by session fixtures (fixtures.py)."""
