CREATE TABLE "digest_posts" (
	"team_id" text NOT NULL,
	"channel_id" text NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"late" boolean NOT NULL,
	"claimed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"posted_ts" text,
	"fleet" jsonb,
	CONSTRAINT "digest_posts_team_id_channel_id_period_start_pk" PRIMARY KEY("team_id","channel_id","period_start")
);
--> statement-breakpoint
CREATE TABLE "digest_schedules" (
	"team_id" text NOT NULL,
	"channel_id" text NOT NULL,
	"schedule" jsonb NOT NULL,
	"set_by" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "digest_schedules_team_id_channel_id_pk" PRIMARY KEY("team_id","channel_id")
);
--> statement-breakpoint
CREATE TABLE "monitor_states" (
	"deploy_id" uuid PRIMARY KEY NOT NULL,
	"breach" jsonb NOT NULL,
	"version" integer DEFAULT 0 NOT NULL,
	"first_summary_at" timestamp with time zone,
	"last_evaluation" jsonb,
	"last_outcome_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "outcomes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"deploy_id" uuid NOT NULL,
	"deployment" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"window_sec" integer NOT NULL,
	"model_id" text NOT NULL,
	"gpu_id" text NOT NULL,
	"gpus_per_replica" integer NOT NULL,
	"tensor_parallel" integer NOT NULL,
	"precision" text NOT NULL,
	"replicas" integer NOT NULL,
	"requests_per_sec" double precision NOT NULL,
	"prompt_tokens" double precision NOT NULL,
	"output_tokens" double precision NOT NULL,
	"output_tokens_per_sec" double precision NOT NULL,
	"observed" jsonb NOT NULL,
	"predicted" jsonb
);
--> statement-breakpoint
ALTER TABLE "monitor_states" ADD CONSTRAINT "monitor_states_deploy_id_deploys_id_fk" FOREIGN KEY ("deploy_id") REFERENCES "public"."deploys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outcomes" ADD CONSTRAINT "outcomes_deploy_id_deploys_id_fk" FOREIGN KEY ("deploy_id") REFERENCES "public"."deploys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "outcomes_config_idx" ON "outcomes" USING btree ("model_id","gpu_id","tensor_parallel","precision","at");--> statement-breakpoint
CREATE INDEX "outcomes_deploy_idx" ON "outcomes" USING btree ("deploy_id","at");