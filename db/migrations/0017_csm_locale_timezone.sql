ALTER TABLE "csms" ADD COLUMN "locale" text;--> statement-breakpoint
ALTER TABLE "csms" ADD COLUMN "timezone" text;--> statement-breakpoint
-- Hand-added (decision 0030): each CSM's language and zone move from settings `escalations.csms` to
-- its row. Only CSMs already on record are updated, by exact email as the settings were read; an
-- entry for an address with no CSM row is dropped with the key. A locale other than en/ja (the
-- languages of the CSM email) becomes null, the workspace default.
UPDATE "csms" SET
  "locale" = CASE lower(split_part(moved.value->>'locale', '-', 1)) WHEN 'en' THEN 'en' WHEN 'ja' THEN 'ja' END,
  "timezone" = moved.value->>'timezone'
FROM "workspaces" w,
  jsonb_each(CASE WHEN jsonb_typeof(w."settings"->'escalations'->'csms') = 'object'
    THEN w."settings"->'escalations'->'csms' ELSE '{}'::jsonb END) moved
WHERE "csms"."workspace_id" = w."id" AND "csms"."email" = moved.key AND jsonb_typeof(moved.value) = 'object';--> statement-breakpoint
UPDATE "workspaces" SET "settings" = "settings" #- '{escalations,csms}'
WHERE jsonb_typeof("settings"->'escalations') = 'object' AND "settings"->'escalations' ? 'csms';
