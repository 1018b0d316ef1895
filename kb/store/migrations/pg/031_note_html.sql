-- PostgreSQL form of ../031_note_html.sql.
ALTER TABLE reviews ADD COLUMN body_html TEXT;
