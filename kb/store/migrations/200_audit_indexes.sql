-- Pages read one item's history and the entries that undid it by index, not the whole log (issue 14: reads cost
-- the same with 10 or 10,000 reviews): audit.item for the item page, audit.undoes for undo state.
CREATE INDEX audit_item ON audit(item);
CREATE INDEX audit_undoes ON audit(undoes);
