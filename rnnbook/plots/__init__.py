"""Plot helpers: each takes ``ax=None``, returns the figure, and changes no global style."""
