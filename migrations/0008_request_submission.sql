ALTER TABLE "approval_requests" ADD COLUMN "superseded_by" uuid;--> statement-breakpoint
ALTER TABLE "approval_requests" ADD COLUMN "submission" text;--> statement-breakpoint
ALTER TABLE "approval_requests" ADD CONSTRAINT "approval_requests_superseded_by_approval_requests_id_fk" FOREIGN KEY ("superseded_by") REFERENCES "public"."approval_requests"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "approval_requests_submission_idx" ON "approval_requests" USING btree ("submission");