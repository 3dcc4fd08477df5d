"""`python -m bot.bench` (`make bench`): load, latency, memory and retrieval figures of the real stack."""
