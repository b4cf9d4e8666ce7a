CREATE TABLE "deploy_names" (
	"cluster_context" text NOT NULL,
	"namespace" text NOT NULL,
	"name" text NOT NULL,
	"conversation_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "deploy_names_cluster_context_namespace_name_pk" PRIMARY KEY("cluster_context","namespace","name")
);
--> statement-breakpoint
CREATE TABLE "deploy_locks" (
	"target" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"acquired_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "deploy_revisions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"target" text NOT NULL,
	"number" integer NOT NULL,
	"deploy_id" uuid NOT NULL,
	"action" text NOT NULL,
	"objects" jsonb NOT NULL,
	"applied_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
DROP INDEX "deploys_target_name_idx";--> statement-breakpoint
ALTER TABLE "deploys" ADD COLUMN "progress" jsonb;--> statement-breakpoint
ALTER TABLE "deploys" ADD COLUMN "status_ts" text;--> statement-breakpoint
ALTER TABLE "deploys" ADD COLUMN "endpoint" text;--> statement-breakpoint
ALTER TABLE "deploy_names" ADD CONSTRAINT "deploy_names_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deploy_revisions" ADD CONSTRAINT "deploy_revisions_deploy_id_deploys_id_fk" FOREIGN KEY ("deploy_id") REFERENCES "public"."deploys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "deploy_names_owner_idx" ON "deploy_names" USING btree ("cluster_context","namespace","conversation_id");--> statement-breakpoint
CREATE UNIQUE INDEX "deploy_revisions_target_number_idx" ON "deploy_revisions" USING btree ("target","number");--> statement-breakpoint
CREATE INDEX "deploys_target_idx" ON "deploys" USING btree (coalesce("cluster_context", ''),"namespace","name");