import type { UseCaseId } from '../knowledge/catalog.js';
import { TakenSpans } from '../knowledge/spans.js';

/**
 * Classifies what the deployment is for by weighted cues. Phrases that name the task outweigh single words; each
 * stretch of text counts once (for the strongest cue that covers it); summarising something long is long-document
 * summarisation; and the task verb wins over the domain ("translate legal contracts" is translation).
 */

type Cue = { useCase: UseCaseId; weight: number; pattern: RegExp };

const LANGUAGES =
  'english|korean|french|german|spanish|japanese|chinese|mandarin|cantonese|italian|russian|portuguese|arabic|dutch|hindi|polish|turkish|swedish|vietnamese|indonesian|hebrew|greek|thai|danish|finnish|norwegian|czech|romanian|ukrainian|hungarian|malay|tagalog|bengali|urdu|persian|farsi|swahili|catalan|en|ko|fr|de|es|ja|zh|it|ru|pt|ar|nl';

const cue = (useCase: UseCaseId, weight: number, pattern: RegExp): Cue => ({ useCase, weight, pattern });

/** Task cues; the ordering within one weight does not matter. */
const CUES: Cue[] = [
  // chatbot_conversational
  cue(
    'chatbot_conversational',
    5,
    /\b(?:chat[\s-]?bots?|chat[\s-]?gpt|conversational(?: ai| agents?| assistants?| bots?| interfaces?)?|virtual (?:assistant|agent)s?|customer[\s-](?:support|service|care|success)|help[\s-]?desk|service[\s-]desk|(?:contact|call)[\s-]cent(?:er|re)s?|it support|(?:support|faq|help|hr|it|slack|discord|teams|whatsapp|telegram|qanda) (?:bot|assistant|agent)s?|faqs?|live chat|chat (?:assistant|interface|app|experience|agent)s?|multi[\s-]turn|dialog(?:ue)? (?:system|agent)s?|concierge|answer (?:customer|employee|user|client|patient|student) (?:questions|queries|inquiries|enquiries)|(?:customer|employee|user|client) (?:questions|queries|inquiries|enquiries))\b/g,
  ),
  cue(
    'chatbot_conversational',
    2,
    /\b(?:assistants?|chat(?:ting)?|conversations?|bots?|companion|talk to|ask (?:it )?questions|answers? (?:\w+ ){0,2}questions|(?:general|product|simple|common|everyday) questions|onboarding|qanda)\b/g,
  ),
  // code_completion
  cue(
    'code_completion',
    6,
    /\b(?:auto[\s-]?complet(?:e|es|ion|ions|ing)|code[\s-]complet(?:ion|ions|e)|tab[\s-]complet(?:ion|ions|e)|copilot(?:[\s-]style|[\s-]like)?|inline (?:code )?(?:suggestions?|completions?|hints?)|fill[\s-]in[\s-]the[\s-]middle|fim|ghost[\s-]text|next[\s-](?:line|token|edit) (?:prediction|suggestion|completion)s?|(?:ide|editor) (?:completions?|suggestions?|plugin|extension|integration)|completions? in (?:the |our |their )?(?:ide|editor|vs ?code|terminal|shell)|as[\s-]you[\s-]type|type[\s-]?ahead|complete (?:the )?(?:code|lines?|functions?|snippets?) as)\b/g,
  ),
  cue(
    'code_completion',
    2,
    /\b(?:ide|ides|vs ?code|visual studio|jetbrains|intellij|pycharm|neovim|vim|emacs|code editor|editor|autosuggest(?:ions?)?|code suggestions?|keystrokes?)\b/g,
  ),
  // "completions" alone is what any LLM serves; it only hints at code completion.
  cue('code_completion', 1, /\bcompletions?\b/g),
  // code_generation_detailed
  cue(
    'code_generation_detailed',
    6,
    /\b(?:code[\s-]gen(?:eration)?|generat(?:e|es|ing) (?:\w+ )?code|writ(?:e|es|ing) (?:\w+ )?code|code (?:reviews?|reviewer|review bot|explanations?|assistant|agent|migration|translation|refactoring)|review(?:ing)? (?:pull requests|prs|merge requests|code)|refactor(?:s|ing)?|debug(?:s|ging)?|(?:fix(?:ing)?|find(?:ing)?) bugs|bug[\s-]?fix(?:es|ing)?|unit[\s-]tests?|writ(?:e|es|ing) tests|test generation|cod(?:ing|er) (?:assistant|agent|help|tasks?|copilot|questions)|programming (?:assistant|help|tasks?|questions|problems)|writ(?:e|es|ing) (?:whole |entire |full |complete |new |small |simple |python |sql )?(?:programs?|functions?|scripts?|applications?|apps?|modules?|classes|software|features?)|explain(?:s|ing)? (?:the |our |legacy )?code|text[\s-]to[\s-]sql|sql (?:generation|queries)|generat(?:e|es|ing) sql|software engineering|agentic coding|pair[\s-]programm(?:er|ing)|implement(?:ing)? features|port(?:ing)? code|legacy code|codebase)\b/g,
  ),
  cue(
    'code_generation_detailed',
    2,
    /\b(?:code|coding|programs?|programming|scripts?|sql|python|javascript|typescript|java|golang|rust|kotlin|c\+\+|c#|repos?|repositor(?:y|ies)|pull requests?|step[\s-]by[\s-]step explanations?|developers?|devs?|software|micro[\s-]?services?|backend|frontend|libraries|sdks?|tests|bugs?)\b/g,
  ),
  // translation
  cue(
    'translation',
    7,
    /\b(?:translat\w*|locali[sz](?:e|es|ed|ing|ation)|l10n|i18n|interpret(?:er|ing) between|traduc\w*|tradu[zç]\w*|traduzione|traduttore|vertal\w*)/g,
  ),
  // The same tasks in French, Spanish, Portuguese, Italian, German and Dutch.
  cue('translation', 7, /(?<!\p{L})übersetz\p{L}*/gu),
  cue(
    'chatbot_conversational',
    4,
    /(?<!\p{L})(?:asistentes?|assistentes?|assistenten|agente conversacional|robot conversationnel|service client|atención al cliente|atendimento|kundendienst|kundenservice|servizio clienti|klantenservice)(?!\p{L})/gu,
  ),
  cue(
    'summarization_short',
    6,
    /(?<!\p{L})(?:résum(?:é|er|ez|ant)s?|resumir|resúmenes|resumen|zusammenfass\w*|riassun\w*|riassum\w*|samenvat\w*)(?!\p{L})/gu,
  ),
  cue(
    'translation',
    5,
    new RegExp(
      `\\b(?:from )?(?:${LANGUAGES})\\s*(?:to|into|->|→)\\s*(?:${LANGUAGES})\\b|\\bbetween (?:${LANGUAGES}) and (?:${LANGUAGES})\\b`,
      'g',
    ),
  ),
  cue(
    'translation',
    2,
    /\b(?:multilingual|multiple languages|many languages|\d+ languages|other languages|languages)\b/g,
  ),
  // content_generation
  cue(
    'content_generation',
    6,
    /\b(?:blog(?:s|ging)?(?: posts?| articles?| content)?|marketing (?:copy|content|emails?|materials?|campaigns?|texts?|assets)|ad(?:vertising)? (?:copy|creatives?|texts?)|copy[\s-]?writing|social[\s-]media(?: posts?| content| captions?| updates)?|tweets|linkedin posts?|instagram (?:posts?|captions?)|product descriptions?|newsletters?|press releases?|seo (?:content|articles?|copy|texts?)|content (?:generation|creation|writing|marketing|pipeline)|creative writing|storytelling|stories|video scripts?|scripts? for (?:videos?|youtube|podcasts?)|(?:email|sales|outreach|cold) (?:campaigns?|emails?|sequences?)|landing pages?|slogans?|taglines?|writ(?:e|es|ing) (?:\w+ )?(?:articles?|posts?|copy|essays?|stories|emails?|content|poems?|descriptions?)|draft(?:s|ing)? (?:\w+ )?(?:articles?|posts?|copy|emails?|content|letters?|announcements?)|long[\s-]form content|generat(?:e|es|ing) (?:\w+ )?(?:content|articles?|posts?|copy|descriptions?|emails?|stories))\b/g,
  ),
  cue(
    'content_generation',
    2,
    /\b(?:writ(?:e|es|ing)|draft(?:s|ing)?|articles?|posts?|copy|content|emails?|marketing|marketers?|copywriters?|writers?|creative|essays?|poems?|captions?|announcements?)\b/g,
  ),
  // summarization (short unless something long is summarised, see LONG)
  cue(
    'summarization_short',
    6,
    /\b(?:summari[sz]\w*|summar(?:y|ies)|tl;?dr|recaps?|digests?|gist|synops[ie]s|key (?:points|takeaways)|bullet[\s-]points?|condens(?:e|es|ed|ing)|meeting notes|call notes|one[\s-](?:line|sentence|paragraph)|(?:two|three|2|3|few|a few|couple of) (?:sentences|lines|bullets)|in \d+ (?:sentences|bullets|lines)|highlights|boil(?:s|ing)? down|short version)\b/g,
  ),
  // document_analysis_rag
  cue(
    'document_analysis_rag',
    6,
    /\b(?:rag|retrieval(?:[\s-]augmented(?: generation)?)?|knowledge[\s-]?bases?|wikis?|confluence|sharepoint|notion|google drive|internal (?:docs|documents|documentation|knowledge|policies|handbook)|(?:search|query|querying|searching|look(?:ing)? up)(?: over| across| through| in)? (?:[\w-]+ ){0,3}(?:docs|documents|documentation|files|wikis?|knowledge|manuals|pdfs|policies|records|archives?|articles|kb|help[\s-]cent(?:er|re)|guides|guidelines)|semantic search|enterprise search|(?:document|doc|pdf|policy) (?:q ?& ?a|qanda|question answering|questions|search|analysis|understanding|extraction|parsing|review)|qanda (?:over|on|about|against|for) |question[\s-]answering|chat (?:with|over) (?:your |our |their |the )?(?:docs|documents|pdfs?|files|data|manuals)|extract(?:s|ing)? (?:\w+ )?(?:information|data|fields|entities|facts) from|information extraction|look(?:s|ing)? up (?:[\w-]+ ){0,2}(?:guidelines|policies|procedures|docs|documentation|regulations|information|answers)|invoices?|grounded (?:answers|responses)|cit(?:e|ing) sources|citations|vector (?:db|database|store|search)|embeddings?)\b/g,
  ),
  cue(
    'document_analysis_rag',
    7,
    /\b(?:questions? (?:about|over|on|from|against|regarding) (?:[\w-]+ ){0,3}(?:docs|documents|documentation|pdfs?|files|manuals|policies|wiki|handbook|contracts|knowledge base|reports|data|records|specs|specifications)|answer(?:s|ing)? (?:\w+ )?questions (?:about|over|on|from|using|against|based on) (?:[\w-]+ ){0,3}(?:docs|documents|documentation|pdfs?|files|manuals|policies|wiki|handbook|knowledge|data|records))\b/g,
  ),
  cue(
    'document_analysis_rag',
    2,
    /\b(?:documents?|documentation|docs|pdfs?|files|policies|handbooks?|knowledge|search)\b/g,
  ),
  // research_legal_analysis
  cue(
    'research_legal_analysis',
    6,
    /\b(?:legal (?:research|analysis|review|questions|documents|work|teams?|department|assistant|advice|memos?|briefs?|opinions?|reasoning|cases?)|contract (?:analysis|review|reviews|comparison|redlining|intelligence)|analy[sz](?:e|es|ing) (?:\w+ )?contracts|review(?:ing)? (?:\w+ )?contracts|case[\s-]law|litigation|due[\s-]diligence|regulatory (?:filings|analysis|compliance|documents|research|review|submissions|texts)|compliance (?:analysis|review|research|checks?|questions)|patents?|prior art|e-?discovery|law firms?|statutes?|precedents?|court (?:cases|rulings|opinions|decisions|filings)|deep research|research (?:assistant|agent|reports?|questions|papers)|literature reviews?|scientific (?:research|papers|literature)|academic (?:research|papers)|in[\s-]depth (?:analysis|research|review)|(?:sec|10-k|annual) filings|financial analysis|investment research|equity research|market research|policy analysis|clinical (?:research|trials?)|medical research|multi[\s-]step reasoning|complex reasoning)\b/g,
  ),
  cue(
    'research_legal_analysis',
    3,
    /\b(?:legal|lawyers?|attorneys?|paralegals?|counsel|regulatory|regulations?|compliance|filings|in[\s-]depth|thorough(?:ly)?|rigorous(?:ly)?|research(?:ers?)?|analy(?:sis|ses|ze|zes|zing|se|ses|sing)|contracts?|clauses?|evidence)\b/g,
  ),
];

/** Something long: what is summarised then is a long document. */
const LONG =
  /\b(?:book[\s-]length|books?|novels?|long[\s-]form|(?:very |extremely |really )?long (?:\w+ ){0,2}(?:documents?|reports?|texts?|files?|transcripts?|manuals?|contracts?|papers?|pdfs?|books?|filings|chapters?)|lengthy|(?:hundreds|thousands) of pages|(?:[1-9]\d|\d{3,})\+?[\s-]pages?|(?:\d+|multi|several)[\s-]hours?(?:[\s-]long)? (?:\w+ )?(?:meetings?|calls?|recordings?|transcripts?|videos?|podcasts?|sessions?|hearings?|webinars?|lectures?|interviews?)|chapters?|theses|thesis|dissertations?|annual reports?|manuals?|multi[\s-]hour|entire (?:documents?|reports?|books?|codebases?|transcripts?)|whole (?:documents?|reports?|books?|transcripts?)|full[\s-]length|large (?:documents?|reports?|pdfs?|files?)|massive (?:documents?|reports?)|(?:\d{2,3}k|\d{5,})[\s-]tokens?)\b/g;

/** Words right before a cue that rule the task out; "not just chat" and "not only" add rather than rule out. */
const NEGATED =
  /\b(?:not|no|isn't|wasn't|never|nor|rather than|instead of|other than|except|without)\s+(?!just\b|only\b|merely\b|simply\b)(?:(?:a|an|the|for|about|really|any|doing|do)\s+){0,2}$/;

/** The text the cues read; "Q&A" and "TL;DR" get one spelling each. */
function prepare(text: string): string {
  return text
    .toLowerCase()
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u2010-\u2015]/g, '-')
    .replace(/\bq\s*(?:&|and|'n')\s*a\b|\bqna\b/g, 'qanda')
    .replace(/\btl\s*;\s*dr\b/g, 'tldr');
}

/** The use case the text (typo-repaired by `repairTypos`) describes, or null when nothing in it points to one. */
export function classifyUseCase(text: string): UseCaseId | null {
  const prepared = prepare(text);
  const scores = new Map<UseCaseId, number>();
  const claimed = new TakenSpans(prepared.length);
  const add = (useCase: UseCaseId, weight: number) =>
    scores.set(useCase, (scores.get(useCase) ?? 0) + weight);
  const byWeight = [...CUES].sort((a, b) => b.weight - a.weight);
  for (const { useCase, weight, pattern } of byWeight) {
    for (const match of prepared.matchAll(pattern)) {
      const start = match.index;
      const end = start + match[0].length;
      if (claimed.overlaps(start, end)) continue;
      claimed.take(start, end);
      // "a chatbot, not summarization": a task the text rules out is no cue for it.
      if (NEGATED.test(prepared.slice(Math.max(0, start - 30), start))) continue;
      add(useCase, weight);
    }
  }
  const summarising = scores.get('summarization_short') ?? 0;
  const long = [...prepared.matchAll(LONG)].length;
  if (summarising > 0 && long > 0) {
    scores.set('long_document_summarization', summarising + 2 * long);
    scores.delete('summarization_short');
  }
  // The task verb wins over the domain: translating or summarising contracts is not legal analysis.
  if (/\b(?:translat|locali[sz])/.test(prepared)) add('translation', 3);
  else if (summarising > 0) add(long > 0 ? 'long_document_summarization' : 'summarization_short', 2);
  const ranked = [...scores].sort(([, a], [, b]) => b - a);
  const best = ranked[0];
  return best && best[1] >= 2 ? best[0] : null;
}
