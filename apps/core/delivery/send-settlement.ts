/** How a reserved send ended: accepted by the transport (with its Message-ID), or failed for good. */
export type SendResult = { status: "sent"; messageId?: string } | { status: "failed"; reason: string };
