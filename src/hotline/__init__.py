"""hotline12345: a self-hostable platform for China's 12345 government service hotline."""

__version__ = "0.1.0"
