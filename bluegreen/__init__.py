"""bluegreen: the UI-free core (config, AWS engine, images, events). Never imports Textual."""

__version__ = "0.1.0"
