"""The gateway: the product's only public surface (conversation API, widget, console, channels)."""
