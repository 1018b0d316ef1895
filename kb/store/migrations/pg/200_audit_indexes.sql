-- PostgreSQL form of ../200_audit_indexes.sql.
CREATE INDEX audit_item ON audit(item);
CREATE INDEX audit_undoes ON audit(undoes);
