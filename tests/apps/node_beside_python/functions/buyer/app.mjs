// Buys: records the trade with the AWS SDK for JavaScript v3 (Lambda's Node.js runtime provides it).
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));

export const lambdaHandler = async (event, context) => {
  const trade = {
    Id: context.awsRequestId,
    type: "buy",
    symbol: event.symbol,
    price: event.stock_price,
    timestamp: new Date().toISOString(),
  };
  console.log(`buying ${trade.symbol} at ${trade.price}`);
  await documents.send(new PutCommand({ TableName: process.env.TRADES_TABLE, Item: trade }));
  return { ...trade, by: "node" };
};
