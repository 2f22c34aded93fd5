CREATE TABLE "enrollment_listeners" (
	"enrollment_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"event_name" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "enrollment_trace" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "enrollment_trace_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"enrollment_id" uuid NOT NULL,
	"transition" integer NOT NULL,
	"position" integer NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"step_id" text,
	"kind" text NOT NULL,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "enrollments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"journey_id" uuid NOT NULL,
	"journey_version_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"account_id" uuid NOT NULL,
	"entry" integer NOT NULL,
	"workflow_id" text NOT NULL,
	"trigger" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"current_step" text,
	"entered_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	"exit_reason" text,
	"goal_reached_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "touches" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"enrollment_id" uuid NOT NULL,
	"touch_key" text NOT NULL,
	"step_id" text NOT NULL,
	"channel" text NOT NULL,
	"template" text NOT NULL,
	"recipient" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"reason" text,
	"delivery" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "enrollment_listeners" ADD CONSTRAINT "enrollment_listeners_enrollment_id_enrollments_id_fk" FOREIGN KEY ("enrollment_id") REFERENCES "public"."enrollments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrollment_trace" ADD CONSTRAINT "enrollment_trace_enrollment_id_enrollments_id_fk" FOREIGN KEY ("enrollment_id") REFERENCES "public"."enrollments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrollments" ADD CONSTRAINT "enrollments_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrollments" ADD CONSTRAINT "enrollments_journey_id_journeys_id_fk" FOREIGN KEY ("journey_id") REFERENCES "public"."journeys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrollments" ADD CONSTRAINT "enrollments_journey_version_id_journey_versions_id_fk" FOREIGN KEY ("journey_version_id") REFERENCES "public"."journey_versions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrollments" ADD CONSTRAINT "enrollments_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "touches" ADD CONSTRAINT "touches_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "touches" ADD CONSTRAINT "touches_enrollment_id_enrollments_id_fk" FOREIGN KEY ("enrollment_id") REFERENCES "public"."enrollments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "enrollment_listeners_key" ON "enrollment_listeners" USING btree ("enrollment_id","event_name");--> statement-breakpoint
CREATE INDEX "enrollment_listeners_route_idx" ON "enrollment_listeners" USING btree ("account_id","event_name");--> statement-breakpoint
CREATE UNIQUE INDEX "enrollment_trace_position_key" ON "enrollment_trace" USING btree ("enrollment_id","transition","position");--> statement-breakpoint
CREATE UNIQUE INDEX "enrollments_journey_account_entry_key" ON "enrollments" USING btree ("journey_id","account_id","entry");--> statement-breakpoint
CREATE UNIQUE INDEX "enrollments_workflow_id_key" ON "enrollments" USING btree ("workflow_id");--> statement-breakpoint
CREATE INDEX "enrollments_workspace_status_idx" ON "enrollments" USING btree ("workspace_id","status");--> statement-breakpoint
CREATE INDEX "enrollments_account_idx" ON "enrollments" USING btree ("account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "touches_enrollment_key" ON "touches" USING btree ("enrollment_id","touch_key");--> statement-breakpoint
CREATE INDEX "touches_workspace_created_idx" ON "touches" USING btree ("workspace_id","created_at");