"""Server-rendered pages (Jinja2) per audience: hall, unit, supervision, tickets, public portal."""
