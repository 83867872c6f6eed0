// The wire layer's public surface: BOLT 1 framing, TLV, BigSize, features and message codecs.
export * from './assert-never.js';
export * from './bigsize.js';
export * from './channel.js';
export * from './codec.js';
export * from './error.js';
export * from './features.js';
export * from './init.js';
export * from './message.js';
export * from './ping.js';
export * from './result.js';
export * from './stream.js';
export * from './tlv.js';
export * from './truncated-int.js';
