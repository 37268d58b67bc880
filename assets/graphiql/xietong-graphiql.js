// Starts GraphiQL on the page the service serves at GET /graphql. Its
// settings are in the page's <script id="xietong-graphiql"
// type="application/json">: the endpoint, and the headers to send (the
// Authorization the page was loaded with, if any). Queries and mutations
// go over HTTP; subscriptions over graphql-transport-ws on the same path,
// the headers sent in connection_init. Nothing is fetched from another host.
(function () {
  "use strict";
  var settings = JSON.parse(document.getElementById("xietong-graphiql").textContent);
  var url = new URL(settings.endpoint, window.location.href);
  var socket = new URL(url.href);
  socket.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  var headers = settings.headers || {};
  var fetcher = GraphiQL.createFetcher({
    url: url.href,
    headers: headers,
    wsClient: graphqlWs.createClient({
      url: socket.href,
      lazy: true,
      connectionParams: function () {
        return headers;
      },
    }),
  });
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
    })
  );
})();
