DROP INDEX "account_health_account_time_idx";--> statement-breakpoint
CREATE UNIQUE INDEX "account_health_account_time_key" ON "account_health" USING btree ("account_id","computed_at");--> statement-breakpoint
CREATE UNIQUE INDEX "health_alerts_account_run_key" ON "health_alerts" USING btree ("account_id","raised_at");