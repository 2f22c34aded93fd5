-- Published journey versions are immutable: running enrollments and audits depend on it.
CREATE OR REPLACE FUNCTION journey_versions_refuse_update() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'journey_versions rows are immutable; publish a new version instead';
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER journey_versions_immutable BEFORE UPDATE ON journey_versions
  FOR EACH ROW EXECUTE FUNCTION journey_versions_refuse_update();
