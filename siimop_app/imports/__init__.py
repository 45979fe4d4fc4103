"""Loading a campaign from the faculties' and ARS's files: reading CSV/XLSX, templates, and the command line.

The rules of each format live in ``siimop_app.domain.import_rules``; the database work in
``siimop_app.services.imports``.
"""
