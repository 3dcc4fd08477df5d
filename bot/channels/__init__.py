"""Channels besides the website widget: each turns its platform's updates into conversation messages."""
