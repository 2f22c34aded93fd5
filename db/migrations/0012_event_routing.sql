ALTER TABLE "events" ADD COLUMN "routed_at" timestamp with time zone;--> statement-breakpoint
-- Hand-added: events stored before this migration count as routed (the sweep is for new ones).
UPDATE "events" SET "routed_at" = "received_at";--> statement-breakpoint
CREATE INDEX "events_unrouted_idx" ON "events" USING btree ("workspace_id","received_at") WHERE "events"."routed_at" is null;
