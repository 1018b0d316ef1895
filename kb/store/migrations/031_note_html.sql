-- A note's sanitised HTML, rendered once when the note is written (kb/reviews/markup.py), never per view.
-- NULL for notes written before this column existed: the reviewed snapshot renders those once per change.
ALTER TABLE reviews ADD COLUMN body_html TEXT;
