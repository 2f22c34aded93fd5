CREATE TABLE "account_health" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "account_health_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"workspace_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"computed_at" timestamp with time zone NOT NULL,
	"score" integer NOT NULL,
	"band" text NOT NULL,
	"measures" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "health_scorecards" (
	"workspace_id" uuid PRIMARY KEY NOT NULL,
	"scorecard" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "health_score" integer;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "health_band" text;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "health_computed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "account_health" ADD CONSTRAINT "account_health_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_health" ADD CONSTRAINT "account_health_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "health_scorecards" ADD CONSTRAINT "health_scorecards_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "account_health_account_time_idx" ON "account_health" USING btree ("account_id","computed_at");