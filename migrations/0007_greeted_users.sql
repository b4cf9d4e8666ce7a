CREATE TABLE "greeted_users" (
	"team_id" text NOT NULL,
	"user_id" text NOT NULL,
	"greeted_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "greeted_users_team_id_user_id_pk" PRIMARY KEY("team_id","user_id")
);
