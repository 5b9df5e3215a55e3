// A chat turn as the exported JSONL holds it (the same shape as src/sft's ChatTurn, kept here so that the data
// layer does not import the layer above it).
export type ChatRoleLike = 'system' | 'user' | 'assistant';
export interface ChatTurnLike {
  role: ChatRoleLike;
  content: string;
}
