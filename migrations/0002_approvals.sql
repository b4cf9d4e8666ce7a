CREATE TABLE "approval_audit" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"request_id" uuid NOT NULL,
	"actor" text NOT NULL,
	"decision" text NOT NULL,
	"reason" text,
	"spec_hash" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "approval_requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"conversation_id" uuid NOT NULL,
	"option" jsonb NOT NULL,
	"spec" jsonb NOT NULL,
	"spec_hash" text NOT NULL,
	"cluster_context" text,
	"namespace" text NOT NULL,
	"requested_by" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"thread_channel_id" text,
	"thread_message_ts" text,
	"approvers_channel_id" text,
	"approvers_message_ts" text,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "deploys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"request_id" uuid NOT NULL,
	"conversation_id" uuid NOT NULL,
	"cluster_context" text,
	"namespace" text NOT NULL,
	"name" text NOT NULL,
	"option" jsonb NOT NULL,
	"spec" jsonb NOT NULL,
	"spec_hash" text NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"enqueued_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "deploys_requestId_unique" UNIQUE("request_id")
);
--> statement-breakpoint
CREATE TABLE "what_if_sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"conversation_id" uuid NOT NULL,
	"baseline" jsonb NOT NULL,
	"spec" jsonb NOT NULL,
	"overrides" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"result" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "chosen" jsonb;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "avg_qps" double precision;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "spec_card_ts" text;--> statement-breakpoint
ALTER TABLE "approval_audit" ADD CONSTRAINT "approval_audit_request_id_approval_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."approval_requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "approval_requests" ADD CONSTRAINT "approval_requests_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deploys" ADD CONSTRAINT "deploys_request_id_approval_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."approval_requests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deploys" ADD CONSTRAINT "deploys_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "what_if_sessions" ADD CONSTRAINT "what_if_sessions_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "approval_audit_request_idx" ON "approval_audit" USING btree ("request_id","id");--> statement-breakpoint
CREATE INDEX "approval_requests_conversation_idx" ON "approval_requests" USING btree ("conversation_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "deploys_target_name_idx" ON "deploys" USING btree (coalesce("cluster_context", ''),"namespace","name");--> statement-breakpoint
CREATE INDEX "deploys_outbox_idx" ON "deploys" USING btree ("state","enqueued_at");--> statement-breakpoint
CREATE INDEX "what_if_sessions_updated_idx" ON "what_if_sessions" USING btree ("updated_at");