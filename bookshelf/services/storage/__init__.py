"""Files on disk: where managed files and covers live, resolved without leaving their folder
(files.py); every durable file operation (durable.py); stored covers (coverstore.py) and drawn
ones (generated_covers.py).

May call services.names, bookshelf.formats (cover images) and nothing that reaches the database.
"""
