CREATE TABLE "unrouted_batches" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"event_ids" uuid[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
DROP INDEX "events_unrouted_idx";--> statement-breakpoint
ALTER TABLE "unrouted_batches" ADD CONSTRAINT "unrouted_batches_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "unrouted_batches_workspace_created_idx" ON "unrouted_batches" USING btree ("workspace_id","created_at");--> statement-breakpoint
-- Hand-added: events still unrouted become batches (of at most 1,000, a routing run's size), dated
-- by their receipt so the sweep takes them, before the column that said so goes.
INSERT INTO "unrouted_batches" ("workspace_id", "event_ids", "created_at")
SELECT "workspace_id", array_agg("id"), min("received_at")
FROM (
  SELECT "workspace_id", "id", "received_at",
    (row_number() OVER (PARTITION BY "workspace_id" ORDER BY "received_at") - 1) / 1000 AS "chunk"
  FROM "events" WHERE "routed_at" IS NULL
) AS "unrouted"
GROUP BY "workspace_id", "chunk";--> statement-breakpoint
ALTER TABLE "events" DROP COLUMN "routed_at";