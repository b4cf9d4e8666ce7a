/**
 * The use cases Compass plans for; ids are part of the CLI and data contract. In a module of their own so the CLI's
 * option parser can list them without zod.
 */
export const USE_CASE_IDS = [
  'chatbot_conversational',
  'code_completion',
  'code_generation_detailed',
  'translation',
  'content_generation',
  'summarization_short',
  'document_analysis_rag',
  'long_document_summarization',
  'research_legal_analysis',
] as const;
