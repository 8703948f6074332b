"""File names, one rule for every path that carries one.

Owns how a name arriving from outside (a multipart header, a filesystem whose bytes may
not be UTF-8, an import source) becomes a text name; how a name becomes safe to store on
any filesystem a NAS shares (NFC, 255 bytes cut on a character boundary with the
extension kept, equal-on-a-case-insensitive-disk keys); and the readable ASCII name that
downloads send as ``filename=``. Pure functions, except ``served`` which claims each
file's ASCII name in the database through ``bookshelf.db.names``. May call bookshelf.db only.
"""
