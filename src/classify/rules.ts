import type { Classification, Situation } from './schema.js';

/** Lower case, typographic quotes straight, Slack's emoji codes and Unicode pictographs kept apart from words. */
function normalise(text: string): string {
  return text
    .toLowerCase()
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Emoji shortcodes (":+1:", ":tada::tada:"), pictographs, and punctuation: nothing to read. */
const ONLY_SYMBOLS =
  /^(?::[\w+-]+:|\p{Extended_Pictographic}|\p{Emoji_Modifier}|\u200d|\ufe0f|[\s\p{P}\p{S}])*$/u;

/** Someone else is addressed: "@U0BOB can you check?", "bob: what do you think?" is between people. */
const TO_SOMEONE_ELSE = /^@[\w.-]+\b|\b(?:@[\w.-]+)\s*[,:]?\s*(?:what do you think|can you|could you|wdyt)\b/;

/** Acknowledgements, agreement and thanks between people: nothing for Compass to act on. */
const ACKNOWLEDGEMENT = new RegExp(
  `^(?:(?:ok(?:ay)?|k|kk|cool|nice|great|perfect|awesome|excellent|brilliant|neat|sweet|lovely|` +
    `thanks?(?: (?:a lot|so much|again|everyone|all|team|compass|you(?: (?:so much|all|both))?))?|thank you(?: (?:so much|all|both|compass))?|thx|ty|tyvm|cheers|` +
    `sounds (?:good|great|fine|right|reasonable)(?: to me)?|lgtm|looks (?:good|great|fine|right)(?: to me)?|` +
    String.raw`makes sense|agreed|agree|same|\+1|yes|yep|yeah|yup|sure|right|true|indeed|exactly|` +
    `will do|on it|done|got it|noted|understood|fair enough|good (?:call|point|idea|stuff|job)|` +
    `nice (?:work|one|job)|well done|love it|let'?s (?:ship|go with|do) it|ship it|let'?s go|let'?s do (?:this|that)|` +
    `(?:hi|hello|hey|morning|good morning|bye|see you|later|lol|haha|hah|wow|oh|ah|hmm+|interesting)` +
    String.raw`)(?:[\s,.!;:-]+|$))+(?:[\s\p{P}\p{S}]|:[\w+-]+:)*$`,
  'u',
);

/** A teammate promising to follow up: "I'll check with finance tomorrow". Its own pattern: `[^?]*` inside the
 * repeated acknowledgements would backtrack without end on a long message. */
const FOLLOW_UP =
  /^(?:i'?ll|we'?ll|let me) (?:check|ask|look|talk|sync|get back|circle back|follow up)\b[^?]*$/;

const GREETING =
  /^(?:hi|hello|hey|hiya|yo|good (?:morning|afternoon|evening))(?: there| compass| all| team)?[\s!.,]*$/;

/** Asking what Compass is or does. */
const HELP =
  /^(?:help|\?|help me|usage|commands?|menu|options)[\s?!.]*$|\b(?:what (?:can|do|could|should) (?:you|i|we|compass) (?:do|say|ask|type)(?: with (?:you|it|this|compass))?|what are you(?: for)?|who are you|what is compass|what'?s compass|how (?:do|does|can|should) (?:i|we|you|one|this|compass|it) (?:use|work|get started|start)(?: (?:this|you|it|compass))?|how (?:does|do) (?:this|compass|it|you) work|what (?:are|is) (?:your|the) (?:commands|capabilities|features)|your capabilities|what do you (?:support|offer)|how to use (?:this|you|compass)|show (?:me )?(?:the )?help)\b/;

/** Asking about deployments that exist: their state, health, SLOs. */
const STATUS =
  /\b(?:status|state|health) of (?:my|our|the|all|every) (?:deploy(?:ment)?s?|models?|endpoints?|services?)\b|\b(?:my|our|current|running|live|existing) (?:deploy(?:ment)?s?|endpoints?)\b|\bwhat(?:'s| is| are)? (?:currently |already )?(?:running|deployed|live)\b|\bhow (?:are|is) (?:my|our|the) (?:deploy(?:ment)?s?|models?|endpoints?|services?)(?: doing)?\b|\b(?:are|is) (?:we|it|they|the deploy(?:ment)?s?) (?:meeting|hitting|within|breaching|missing) (?:the |our |its |their )?slos?\b|\bslo (?:status|report|summary|breach(?:es)?)\b|\b(?:any|which) (?:slo )?breach(?:es)?\b|^(?:deploy(?:ment)?s? )?status[\s?!.]*$/;

/** The SLO side of a status question: answered with the SLO summary rather than the deployment list. */
const SLO_QUESTION = /\bslos?\b|\bbreach|\bp95\b|\blatenc/;

/** Words of Compass's domain: a message using them is about planning, even when it states no fact yet. */
const DOMAIN =
  /\b(?:llms?|models?|gpus?|deploy\w*|inference|serv(?:e|ing)|vllm|plan\w*|options?|replicas?|cost\w*|price\w*|pricing|budget|cheap\w*|expensive|spend\w*|latency|ttft|itl|e2e|p95|throughput|tokens?|requests?|qps|rps|users?|people|slos?|quantiz\w*|precision|fp8|int4|bf16|tensor parallel\w*|tp\d?|memory|vram|kv ?cache|context window|quality|accuracy|chatbot|assistant|rag|summari[sz]\w*|translat\w*|code|coding|completion|kubernetes|k8s|cluster|node|nodes|fit|fits|sizing|size|spec|recommend\w*|compass)\b|\b[a-z]{1,3}\d{2,4}[a-z]?\b/;

/** A change whose figure or verb says what to do but not to what: answered, never taken for chatter. */
const CHANGE_WITHOUT_NOUN =
  /^(?:(?:please )?(?:make|set|change|bump|raise|lower|increase|decrease|reduce|cut) (?:it|that|this|them)\b[^?]*\d|(?:please )?(?:double|halve|triple) (?:it|that|this|them)\b|(?:~|about|around|roughly|maybe|say) ?\d[\d,.]*\s*(?:k|m|%)?[\s.!]*$|\d[\d,.]*\s*(?:k|m|%)?[\s.!]*$)/;

/** A question, by its form. */
const QUESTION =
  /\?\s*$|^(?:why|how|what|which|when|where|who|is|are|can|could|would|will|does|do|did|should|shall|any|explain|tell me)\b/;

/** Asking for the reason behind the plan. */
const WHY = /^(?:why|how come|explain why|what makes)\b/;

/** Words that take back or replace something said before: the message corrects rather than adds. */
const CORRECTION =
  /^(?:no|nope|wait|oops|sorry|correction|actually|scratch that|my bad|err?m?)\b|\b(?:actually|i meant|we meant|i mean|instead|rather than|not \w+(?: \w+)?,? but|make that|change (?:that|it) to|correction|typo|mistake|wrong|misspoke|scratch that|forget|never ?mind|no longer|not anymore|again)\b/;

/**
 * What a message is, by the rules. Pure. Facts decide first (a message that states or changes something is
 * planning); then help, status, acknowledgements and questions by their words. Readings the rules are not sure of
 * (a question or statement without any of Compass's words) are marked so a second opinion may decide.
 */
export function classifyMessage(text: string, situation: Situation): Classification {
  const said = normalise(text);
  const { conversation, addressed, states } = situation;
  const sure = (kind: Classification['kind']): Classification => ({ kind, sure: true });

  if (ONLY_SYMBOLS.test(said)) return sure('chatter');
  // "status of my deployments at 500 ms TTFT?" asks about what runs, even with a figure in it.
  if (STATUS.test(said) && QUESTION.test(said) && !/\b(?:plan|new|another|add)\b/.test(said))
    return sure('status');
  // "why H100?" names a GPU to ask about the plan's choice, not to restrict it.
  if (conversation === 'planned' && WHY.test(said)) return sure('plan_question');
  if (states) {
    if (conversation === 'none') return sure('request');
    return sure(CORRECTION.test(said) ? 'correction' : 'refinement');
  }
  if (HELP.test(said)) return sure('help');
  if (STATUS.test(said)) return sure('status');
  if (GREETING.test(said)) return sure(addressed && conversation === 'none' ? 'help' : 'chatter');
  if (TO_SOMEONE_ELSE.test(said) || FOLLOW_UP.test(said) || ACKNOWLEDGEMENT.test(said))
    return sure('chatter');
  // "make it 1200", "1200", "double it": a change the extractor could not place still deserves an answer.
  if (conversation !== 'none' && CHANGE_WITHOUT_NOUN.test(said)) return sure('refinement');
  const domain = DOMAIN.test(said);
  const question = QUESTION.test(said);
  if (domain) {
    if (conversation === 'planned' && question) return sure('plan_question');
    if (conversation === 'none') return sure('request');
    // Teammates discussing the plan without changing it: quiet, unless Compass was asked (then a hint helps).
    if (conversation === 'planned' && !addressed) return { kind: 'chatter', sure: false };
    return sure('refinement');
  }
  if (question) return { kind: 'off_topic', sure: false };
  // A statement that is none of Compass's business: teammates talking, or (when asked) nothing to plan with.
  return { kind: addressed && conversation === 'none' ? 'off_topic' : 'chatter', sure: false };
}

/** Whether a status question is about SLOs (answered with the SLO summary) rather than the deployment list. */
export const asksAboutSlos = (text: string) => SLO_QUESTION.test(normalise(text));
