CREATE TABLE "inbox_events" (
	"event_id" text PRIMARY KEY NOT NULL,
	"seq" bigserial NOT NULL,
	"body" json NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	"attempts" integer DEFAULT 1 NOT NULL,
	"message_claim" text,
	"answer" jsonb,
	"posted" integer DEFAULT 0 NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"done_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "inbox_events_pending_idx" ON "inbox_events" USING btree ("state","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "inbox_events_message_claim_idx" ON "inbox_events" USING btree ("message_claim");--> statement-breakpoint
CREATE INDEX "inbox_events_received_idx" ON "inbox_events" USING btree ("received_at");