"""Plan KB: knowledge base, graph, search and exports over Chinese development plans."""

__version__ = "0.1.0"
