/** The media type of every JSON body the server writes, with the charset Fastify's own serializer adds. */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
