// placeholder: replaced by the lead (startServer)
export {};
