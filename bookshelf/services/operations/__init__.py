"""Operations on a data folder as a whole: backup and restore (backup.py), `bookshelf doctor`
(doctor.py), the health report (health.py) and `bookshelf reindex` (reindex.py).

May call services.organize (settling interrupted moves), services.storage,
services.preferences and bookshelf.db.
"""
