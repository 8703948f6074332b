"""Library imports: a calibre library (calibre.py, calibre_opf.py) or a plain folder tree
(folder.py) brought in as one job, with its report (report.py), its rows recorded in one
transaction per book (store.py) and books filed as they arrive (filing.py); service.py is the
entry point the API and the CLI share.

May call services.ingest (folder files go through the inbox pipeline), services.storage,
services.names, services.jobs, bookshelf.db and bookshelf.formats. The organizer is handed in as a Filer.
"""
