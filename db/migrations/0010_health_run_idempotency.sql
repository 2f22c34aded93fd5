-- Hand-added: a retried recompute could write the same (account, run time) twice before this
-- migration; keep one row of each so the unique indexes below can be built on existing data.
DELETE FROM "account_health" a USING "account_health" b WHERE a."account_id" = b."account_id" AND a."computed_at" = b."computed_at" AND a."ctid" > b."ctid";--> statement-breakpoint
DELETE FROM "health_alerts" a USING "health_alerts" b WHERE a."account_id" = b."account_id" AND a."raised_at" = b."raised_at" AND a."ctid" > b."ctid";--> statement-breakpoint
DROP INDEX "account_health_account_time_idx";--> statement-breakpoint
CREATE UNIQUE INDEX "account_health_account_time_key" ON "account_health" USING btree ("account_id","computed_at");--> statement-breakpoint
CREATE UNIQUE INDEX "health_alerts_account_run_key" ON "health_alerts" USING btree ("account_id","raised_at");
